import Link from "next/link";

/** The top bar's link to the fleet view (`/hosts`); `current` marks it on that page. */
export function HostsLink({ current = false }: { current?: boolean }) {
  return (
    <Link href="/hosts" aria-current={current ? "page" : undefined} data-testid="hosts-link">
      Hosts
    </Link>
  );
}
