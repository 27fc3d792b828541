import { describe, expect, it } from "vitest";
import { parseLineProtocol, type LineProtocolOptions } from "../src/ingest/line-protocol";

const NOW_MS = 1_700_000_000_000;
const opts: LineProtocolOptions = { precision: "ns", nowMs: NOW_MS, maxLines: 10_000, maxFutureMs: 5 * 60_000 };

function ok(body: string, overrides: Partial<LineProtocolOptions> = {}) {
  const result = parseLineProtocol(body, { ...opts, ...overrides });
  if (!result.ok) throw new Error(`expected ok, got ${JSON.stringify(result.errors)}`);
  return result.points;
}

function errors(body: string, overrides: Partial<LineProtocolOptions> = {}) {
  const result = parseLineProtocol(body, { ...opts, ...overrides });
  if (result.ok) throw new Error(`expected errors, got ${JSON.stringify(result.points)}`);
  return result.errors;
}

describe("parseLineProtocol: series keys", () => {
  it("keeps measurement.field as the name and makes tags labels, sorted whatever the line's order", () => {
    expect(ok("cpu,host=web1,cpu=cpu0 usage_idle=97.5")).toEqual([
      { series: 'cpu.usage_idle{cpu="cpu0",host="web1"}', ts: NOW_MS, value: 97.5 },
    ]);
    expect(ok("cpu,cpu=cpu0,host=web1 usage_idle=1")[0]?.series).toBe('cpu.usage_idle{cpu="cpu0",host="web1"}');
  });

  it("gives one point per numeric field, in field order", () => {
    expect(ok("mem,host=a used=1i,free=2u,ok=true").map((p) => [p.series, p.value])).toEqual([
      ['mem.used{host="a"}', 1],
      ['mem.free{host="a"}', 2],
      ['mem.ok{host="a"}', 1],
    ]);
  });

  it("measurement without tags is a bare name", () => {
    expect(ok("load1 value=0.5")[0]?.series).toBe("load1.value");
  });

  it("replaces characters outside [a-zA-Z0-9_.:-] in the name with _ (one per code point); tag values stay as written", () => {
    expect(ok("disk,path=/var/log\\ x,dev=sda1 used%=3")[0]?.series).toBe('disk.used_{dev="sda1",path="/var/log x"}');
    expect(ok("t😀,emoji=a😀b v=1")[0]?.series).toBe('t_.v{emoji="a😀b"}');
  });

  it("keeps a hostname with dots whole in its label", () => {
    expect(ok("cpu,host=web1.example.com idle=1")[0]?.series).toBe('cpu.idle{host="web1.example.com"}');
  });

  it("maps tag keys to the label charset: other characters become _, a leading digit gets a _ in front", () => {
    expect(ok("m,host-name=a,0x=b,k.8s=c v=1")[0]?.series).toBe('m.v{_0x="b",host_name="a",k_8s="c"}');
  });

  it("escapes quotes and backslashes of tag values in the key", () => {
    expect(ok('m,path=C:\\\\x,q=say"hi" v=1')[0]?.series).toBe('m.v{path="C:\\\\x",q="say\\"hi\\""}');
  });

  it("a tag named like an Object.prototype member is an ordinary label", () => {
    expect(ok("m,constructor=a,toString=b v=1")[0]?.series).toBe('m.v{constructor="a",toString="b"}');
  });

  it("rejects a series name over 200 characters on that line", () => {
    const errs = errors(`${"m".repeat(200)} v=1`);
    expect(errs).toEqual([{ line: 1, message: expect.stringMatching(/^line 1: series name '.*' is 202 characters \(limit 200\)$/) }]);
  });

  it.each([
    ["m,__name__=x v=1", "line 1: tag '__name__': label names starting with __ are reserved"],
    ["m,--x=1 v=1", "line 1: tag '--x' (label __x): label names starting with __ are reserved"],
    [`m,${"k".repeat(129)}=1 v=1`, "line 1: tag 'kkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkk…': label name must be at most 128 characters"],
    [`m,t=${"v".repeat(1025)} v=1`, "line 1: tag 't': label value must be at most 1024 characters (got 1025)"],
    ["m,t=a\tb v=1", "line 1: tag 't': label value must not contain control characters"],
    ["m,a-b=1,a_b=2 v=1", "line 1: tags 'a-b' and 'a_b' both become label a_b"],
    ["m,a=1,a=2 v=1", "line 1: tag 'a' appears twice"],
    [`m,${Array.from({ length: 31 }, (_, i) => `t${i}=x`).join(",")} v=1`, "line 1: 31 tags (limit 30 labels per series)"],
  ])("refuses tags that are no valid labels, naming the line, the tag and the limit: %#", (body, message) => {
    expect(errors(body)).toEqual([{ line: 1, message }]);
  });

  it("rejects a series key over 4096 characters", () => {
    const tags = Array.from({ length: 5 }, (_, i) => `t${i}=${"v".repeat(1000)}`).join(",");
    expect(errors(`m,${tags} v=1`)[0]?.message).toMatch(/^line 1: series key 'm\.v\{t0="v+…' is 50\d\d characters \(limit 4096\)$/);
  });

  it("a head repeated across lines gives the same key per field, each line with its own timestamp and errors", () => {
    const body = "cpu,host=a x=1,y=2 1000\ncpu,host=a y=3 2000\ncpu,host=a x=4";
    expect(ok(body, { precision: "ms" })).toEqual([
      { series: 'cpu.x{host="a"}', ts: 1000, value: 1 },
      { series: 'cpu.y{host="a"}', ts: 1000, value: 2 },
      { series: 'cpu.y{host="a"}', ts: 2000, value: 3 },
      { series: 'cpu.x{host="a"}', ts: NOW_MS, value: 4 },
    ]);
    expect(errors("m,__a=1 v=1\nm,__a=1 v=2\nm,h=1 v=1\nm,h=1 v=x").map((e) => e.message)).toEqual([
      "line 1: tag '__a': label names starting with __ are reserved",
      "line 2: tag '__a': label names starting with __ are reserved",
      "line 4: field 'v' value 'x' is not a number (expected 1.5, 12i, 12u, true/false or \"text\")",
    ]);
  });
});

describe("parseLineProtocol: escaping", () => {
  it("unescapes \\, \\space \\= \\\\ in measurement, tags and field keys", () => {
    const [point] = ok("my\\,meas\\ x,ta\\=g=v\\,a\\ l\\=ue f\\ k\\=e\\,y=1");
    // After unescaping: measurement "my,meas x", tag "ta=g" -> label ta_g, value "v,a l=ue", field "f k=e,y".
    expect(point?.series).toBe('my_meas_x.f_k_e_y{ta_g="v,a l=ue"}');
  });

  it("keeps other backslashes literal and reads \\\\ as one backslash", () => {
    expect(ok("a\\b,t=c\\\\d v=1")[0]?.series).toBe('a_b.v{t="c\\\\d"}');
  });

  it("skips string fields (with escaped quotes, commas, spaces, newlines) without error", () => {
    const body = 'log,host=a msg="he said \\"hi, there\\" = \\\\",level=3i,note="multi\nline" 1700000000000000000\nx v=2';
    const points = ok(body);
    expect(points).toEqual([
      { series: 'log.level{host="a"}', ts: 1_700_000_000_000, value: 3 },
      { series: "x.v", ts: NOW_MS, value: 2 },
    ]);
  });

  it("accepts a line with only string fields and yields no point", () => {
    expect(ok('event text="deploy"')).toEqual([]);
  });

  it("reports an unterminated string and still checks the following lines", () => {
    const errs = errors('a s="open\nb v=abc\nc v=1');
    expect(errs.map((e) => e.line)).toEqual([1, 2]);
    expect(errs[0]?.message).toBe("line 1: string value of field 's' has no closing quote");
  });
});

describe("parseLineProtocol: field values", () => {
  it.each([
    ["1", 1], ["-1.5", -1.5], ["1e3", 1000], ["1.5E-2", 0.015], [".5", 0.5], ["1.", 1], ["1e+21", 1e21],
    ["12i", 12], ["-12i", -12], ["9223372036854775807i", 2 ** 63], ["-9223372036854775808i", -(2 ** 63)],
    ["12u", 12], ["18446744073709551615u", 2 ** 64],
    ["t", 1], ["T", 1], ["true", 1], ["True", 1], ["TRUE", 1], ["f", 0], ["F", 0], ["false", 0], ["False", 0], ["FALSE", 0],
  ])("parses %s", (raw, expected) => {
    expect(ok(`m v=${raw}`)[0]?.value).toBe(expected);
  });

  it.each([
    ["abc", "line 1: field 'v' value 'abc' is not a number"],
    ["NaN", "line 1: field 'v' value 'NaN' is not a number"],
    ["Infinity", "line 1: field 'v' value 'Infinity' is not a number"],
    ["tRUE", "line 1: field 'v' value 'tRUE' is not a number"],
    ["-12u", "line 1: field 'v' value '-12u' is not a number"],
    ["1.5i", "line 1: field 'v' value '1.5i' is not a number"],
    ["0x10", "line 1: field 'v' value '0x10' is not a number"],
    ["9223372036854775808i", "line 1: field 'v' value '9223372036854775808i' is out of the signed 64-bit integer range"],
    ["18446744073709551616u", "line 1: field 'v' value '18446744073709551616u' is out of the unsigned 64-bit integer range"],
    ["1e999", "line 1: field 'v' value '1e999' is out of the 64-bit float range"],
  ])("rejects %s", (raw, message) => {
    expect(errors(`m v=${raw}`)[0]?.message).toContain(message);
  });
});

describe("parseLineProtocol: structure errors", () => {
  it.each([
    ["m", "missing fields"],
    ["m ", "missing fields"],
    [",t=1 v=1", "missing measurement name"],
    ["m,t v=1", "tag 't' has no value"],
    ["m,t= v=1", "tag 't' has an empty value"],
    ["m,=x v=1", "empty tag key"],
    ["m v", "field 'v' has no value"],
    ["m v=", "field 'v' has no value"],
    ["m v=1,", "missing fields"],
    ["m v=1,,w=2", "empty field key"],
    ["m v=1 123 extra", "unexpected text 'extra' after the timestamp"],
    ['m s="x"y', "unexpected 'y' after the string value of field 's'"],
    ["m v=1 12.5", "timestamp '12.5' is not an integer"],
    ["m v=1 -5", "timestamp '-5' is before 1970"],
  ])("%j -> %s", (body, message) => {
    expect(errors(body)[0]?.message).toContain(message);
  });

  it("reports every bad line with its number, and accepts no point from the batch", () => {
    const body = ["# header", "good v=1", "bad v=abc", "", "good v=2", "worse", "ok v=3"].join("\n");
    const result = parseLineProtocol(body, opts);
    expect(result).toEqual({
      ok: false,
      truncated: false,
      errors: [
        { line: 3, message: expect.stringContaining("line 3: field 'v' value 'abc' is not a number") },
        { line: 6, message: expect.stringContaining("line 6: missing fields") },
      ],
    });
  });

  it("caps the error list at 20 and says it was truncated", () => {
    const result = parseLineProtocol(Array.from({ length: 50 }, () => "bad").join("\n"), opts);
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.errors).toHaveLength(20);
    expect(result.errors[19]?.line).toBe(20);
    expect(result.truncated).toBe(true);
  });
});

describe("parseLineProtocol: layout", () => {
  it("ignores comments, blank lines, leading whitespace; accepts CRLF and a missing final newline", () => {
    const body = "# comment\r\n\r\n  \t a v=1 1000000000\r\n\n# x v=9\r\nb v=2\r\n";
    expect(ok(body).map((p) => [p.series, p.value])).toEqual([["a.v", 1], ["b.v", 2]]);
  });

  it("counts lines including comments and CRLF for error numbers", () => {
    expect(errors("# c\r\na v=1\r\n\r\nb v=x\r\n")[0]?.line).toBe(4);
  });

  it("empty body is ok with no points", () => {
    expect(ok("")).toEqual([]);
    expect(ok("\n\n# only comments\n")).toEqual([]);
  });

  it("enforces maxLines on data lines only", () => {
    expect(ok("# c\na v=1\nb v=1", { maxLines: 2 })).toHaveLength(2);
    expect(errors("a v=1\nb v=1\nc v=1", { maxLines: 2 })).toEqual([
      { line: 3, message: "line 3: body has more than 2 lines (limit 2)" },
    ]);
  });

  it("enforces maxPoints over all fields", () => {
    expect(errors("a x=1,y=2\nb x=1,y=2", { maxPoints: 3 })[0]?.message).toBe(
      "line 2: body has more than 3 points (limit 3; each numeric field is one point)",
    );
  });
});

describe("parseLineProtocol: timestamps", () => {
  const ms = 1_699_999_999_123;
  it.each([
    ["s", "1699999999", 1_699_999_999_000],
    ["ms", String(ms), ms],
    ["us", `${ms}456`, ms],
    ["ns", `${ms}456789`, ms],
    ["ns", `${ms}999999`, ms],
    ["ns", "0", 0],
  ] as const)("precision %s: %s -> %d ms (sub-ms digits truncated exactly)", (precision, ts, expected) => {
    expect(ok(`m v=1 ${ts}`, { precision })[0]?.ts).toBe(expected);
  });

  it("defaults a missing timestamp to nowMs", () => {
    expect(ok("m v=1")[0]?.ts).toBe(NOW_MS);
  });

  it("rejects a timestamp beyond maxFutureMs and says by how much", () => {
    const tenDaysNs = BigInt(NOW_MS + 10 * 86_400_000) * 1_000_000n;
    expect(errors(`a v=1\nm v=1 ${tenDaysNs}`)).toEqual([
      { line: 2, message: "line 2: timestamp is 10 days in the future (limit 5m)" },
    ]);
    expect(ok(`m v=1 ${NOW_MS + 5 * 60_000}`, { precision: "ms" })).toHaveLength(1);
  });

  it("rejects absurdly long timestamps without heavy work", () => {
    expect(errors(`m v=1 ${"9".repeat(100_000)}`)[0]?.message).toMatch(/^line 1: timestamp '9{40}…' is not an integer$/);
  });
});

describe("parseLineProtocol: a Telegraf flush", () => {
  it("parses what outputs.http (data_format=influx) sends, string fields and escaped tags included", () => {
    const ts = "1700000000000000000";
    const body = [
      `cpu,cpu=cpu-total,host=web1 usage_guest=0,usage_idle=97.5,usage_iowait=0.1 ${ts}`,
      `disk,device=sda1,fstype=ext4,host=web1,mode=rw,path=/ free=1234i,inodes_free=5i,used_percent=42.1 ${ts}`,
      `net,host=web1,interface=eth0 bytes_recv=123u,err_in=0u ${ts}`,
      `system,host=web1 uptime_format="1 day,  2:03",n_cpus=8i ${ts}`,
      `win_perf,host=web1,instance=C:\\\\,objectname=LogicalDisk Percent_Free_Space=12.5 ${ts}`,
      "",
    ].join("\n");
    const points = ok(body);
    expect(points.map((p) => `${p.series}=${p.value}`)).toEqual([
      'cpu.usage_guest{cpu="cpu-total",host="web1"}=0',
      'cpu.usage_idle{cpu="cpu-total",host="web1"}=97.5',
      'cpu.usage_iowait{cpu="cpu-total",host="web1"}=0.1',
      'disk.free{device="sda1",fstype="ext4",host="web1",mode="rw",path="/"}=1234',
      'disk.inodes_free{device="sda1",fstype="ext4",host="web1",mode="rw",path="/"}=5',
      'disk.used_percent{device="sda1",fstype="ext4",host="web1",mode="rw",path="/"}=42.1',
      'net.bytes_recv{host="web1",interface="eth0"}=123',
      'net.err_in{host="web1",interface="eth0"}=0',
      'system.n_cpus{host="web1"}=8',
      'win_perf.Percent_Free_Space{host="web1",instance="C:\\\\",objectname="LogicalDisk"}=12.5',
    ]);
    expect(new Set(points.map((p) => p.ts))).toEqual(new Set([1_700_000_000_000]));
  });
});

describe("parseLineProtocol: heads shared across bodies", () => {
  it("a shared cache gives the same key string for a series in every body, and the same answers as a fresh one", async () => {
    const { LineHeadCache } = await import("../src/ingest/line-heads");
    const heads = new LineHeadCache();
    const body = "cpu,host=a,cpu=0 user=1,sys=2 1000\ncpu,cpu=0,host=a user=3 2000\nmem,host=a used=4i";
    const first = ok(body, { precision: "ms", heads });
    const second = ok(body, { precision: "ms", heads });
    expect(second).toEqual(first);
    expect(second).toEqual(ok(body, { precision: "ms" }));
    expect(Object.is(first[0]!.series, second[0]!.series)).toBe(true);
    // A field order the head has not seen, an escaped field name, a string field: the in-place paths fall back.
    expect(ok("cpu,host=a,cpu=0 sys=5,user=6,note=\"x\",f\\ x=7", { heads }).map((p) => p.series)).toEqual([
      'cpu.sys{cpu="0",host="a"}', 'cpu.user{cpu="0",host="a"}', 'cpu.f_x{cpu="0",host="a"}',
    ]);
  });

  it("a head predicted from the previous body's order is only taken when the line has exactly that head", async () => {
    const { LineHeadCache } = await import("../src/ingest/line-heads");
    const heads = new LineHeadCache();
    expect(ok("m,h=a v=1\nm,h=b v=2\nm,h=c v=3", { heads }).map((p) => p.series)).toEqual(['m.v{h="a"}', 'm.v{h="b"}', 'm.v{h="c"}']);
    // After h=a the cache expects h=b: a longer head with that prefix, another order, an escaped space.
    expect(ok("m,h=a v=1\nm,h=bb v=2\nm,h=b v=3\nm,h=a v=4\nm,h=b\\ x v=5\nm,h=b v=6", { heads }).map((p) => p.series)).toEqual([
      'm.v{h="a"}', 'm.v{h="bb"}', 'm.v{h="b"}', 'm.v{h="a"}', 'm.v{h="b x"}', 'm.v{h="b"}',
    ]);
    expect(errors("m,h=a v=1\nm,h=b\nm,h=b v=2", { heads }).map((e) => e.line)).toEqual([2]);
  });

  it("past its character budget the cache starts over and answers stay right", async () => {
    const { LineHeadCache } = await import("../src/ingest/line-heads");
    const heads = new LineHeadCache(64);
    const body = Array.from({ length: 50 }, (_, i) => `m,host=h${i} v=${i}`).join("\n");
    for (let round = 0; round < 3; round++) {
      expect(ok(body, { heads }).map((p) => `${p.series}=${p.value}`)).toEqual(Array.from({ length: 50 }, (_, i) => `m.v{host="h${i}"}=${i}`));
    }
  });

  it("reads plain decimals in place exactly as Number() does, and everything else by the full path", () => {
    const values = ["0", "-0", "1.", ".5", "-.5", "123456789012345", "1234567890123456", "0.1", "-2.675", "99.99", "000123.4500", "1e3", "12i", "true", "-12.5e-3"];
    const points = ok(values.map((v, i) => `m f${i}=${v}`).join("\n"));
    expect(points.map((p) => p.value)).toEqual(values.map((v) => (v === "12i" ? 12 : v === "true" ? 1 : Number(v))));
    expect(Object.is(points[1]!.value, -0)).toBe(true);
  });
});
