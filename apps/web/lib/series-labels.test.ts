import { describe, expect, it } from "vitest";
import { formatLabels, labelValues, legendLabels, splitKey } from "./series-labels";

describe("legend entries show what tells the lines apart", () => {
  it("one name, labels that differ: only those labels", () => {
    expect(legendLabels(['host.cpu.total{cpu="0",host="h"}', 'host.cpu.total{cpu="1",host="h"}', 'host.cpu.total{cpu="10",host="h"}'])).toEqual([
      'cpu="0"',
      'cpu="1"',
      'cpu="10"',
    ]);
  });

  it("names that differ lose their shared prefix; labels shared by every line are left out", () => {
    expect(legendLabels(['host.cpu.user{host="h"}', 'host.cpu.system{host="h"}', 'host.cpu.total{host="h"}'])).toEqual(["user", "system", "total"]);
  });

  it("names and labels both differ", () => {
    expect(
      legendLabels(['host.net.rx_bytes_per_s{host="h",interface="lo"}', 'host.net.rx_bytes_per_s{host="h",interface="eth0"}', 'host.net.tx_bytes_per_s{host="h",interface="lo"}']),
    ).toEqual(['rx_bytes_per_s interface="lo"', 'rx_bytes_per_s interface="eth0"', 'tx_bytes_per_s interface="lo"']);
  });

  it("a label present on some lines only counts as differing, shown where it is present (a line with none of them shows its name)", () => {
    expect(legendLabels(['disk.read{host="a"}', 'disk.read{device="sda",host="a"}'])).toEqual(["disk.read", 'device="sda"']);
  });

  it("one line keeps its last name segment and all its labels; unlabelled names stay readable", () => {
    expect(legendLabels(['app.requests{region="eu",status="500"}'])).toEqual(['requests region="eu", status="500"']);
    expect(legendLabels(["process.rss_bytes", "process.heap_used_bytes"])).toEqual(["rss_bytes", "heap_used_bytes"]);
    expect(legendLabels(["plain"])).toEqual(["plain"]);
    // What the page already says (the overview's host) is left out.
    expect(legendLabels(['process.cpu_percent{host="h"}'], ["host"])).toEqual(["cpu_percent"]);
  });

  it("a value with quotes or a backslash reads back as it was written", () => {
    const key = 'app.x{path="/a\\"b\\\\c"}';
    expect(splitKey(key).labels.path).toBe('/a"b\\c');
    expect(formatLabels(splitKey(key).labels)).toBe('path="/a"b\\c"');
  });
});

describe("label values to filter on", () => {
  it("lists every label with its distinct values, numbers in numeric order", () => {
    const values = labelValues(['a{cpu="10",host="h"}', 'a{cpu="2",host="h"}', 'b{host="g"}', "c"]);
    expect([...values.keys()]).toEqual(["cpu", "host"]);
    expect(values.get("cpu")).toEqual(["2", "10"]);
    expect(values.get("host")).toEqual(["g", "h"]);
  });
});
