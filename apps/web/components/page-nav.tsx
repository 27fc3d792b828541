import Link from "next/link";
import { HostsLink } from "./hosts-link";

const PAGES = [
  { href: "/", label: "Overview" },
  { href: "/transports", label: "Transports" },
  { href: "/alerts", label: "Alerts" },
] as const;

/** The pages every top bar links to; the current one is marked for screen readers and styles. */
export function PageNav({ current }: { current?: (typeof PAGES)[number]["href"] | "/hosts" }) {
  return (
    <nav aria-label="Pages">
      {PAGES.map((page) => (
        <Link key={page.href} href={page.href} aria-current={page.href === current ? "page" : undefined}>
          {page.label}
        </Link>
      ))}
      <HostsLink current={current === "/hosts"} />
    </nav>
  );
}
