"use client";
import Link from "next/link";
import { usePathname } from "next/navigation";

/** The top bar's link to the fleet view (`/hosts`); marked as the current page there. */
export function HostsLink() {
  const current = usePathname() === "/hosts";
  return (
    <Link href="/hosts" aria-current={current ? "page" : undefined} data-testid="hosts-link">
      Hosts
    </Link>
  );
}
