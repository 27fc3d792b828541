"use client";
import Link from "next/link";
import { HostsLink } from "./hosts-link";

/** The pages, as every page's top bar links them. */
export function PageNav() {
  return (
    <nav aria-label="Pages">
      <Link href="/">Overview</Link>
      <HostsLink />
      <Link href="/transports">Transports</Link>
    </nav>
  );
}
