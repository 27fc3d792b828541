import type { Metadata, Viewport } from "next";
import type { ReactNode } from "react";
import "uplot/dist/uPlot.min.css";
import "./globals.css";
import "./alerts.css";
import { SIGN_IN_ATTRIBUTE } from "../lib/auth/ticket-source";
import { signInEnabled } from "../lib/auth/auth-state";

export const metadata: Metadata = {
  title: "Livedash",
  description: "Live metrics of this host, the Livedash server and anything pushed to it",
};

export const viewport: Viewport = { width: "device-width", initialScale: 1 };

// Runs before paint: the saved (or system) theme, so a light-theme user never sees a dark flash.
const THEME_SCRIPT = `try{var t=new URLSearchParams(location.search).get("theme")||localStorage.getItem("livedash-theme")||(matchMedia("(prefers-color-scheme: light)").matches?"light":"dark");document.documentElement.dataset.theme=t==="light"?"light":"dark"}catch(e){}`;

export default function RootLayout({ children }: { children: ReactNode }) {
  // Tells the browser client to fetch tickets (lib/open-client.ts); it carries no secret.
  const signIn = signInEnabled() ? { [SIGN_IN_ATTRIBUTE]: "on" } : {};
  return (
    <html lang="en" data-theme="dark" suppressHydrationWarning {...signIn}>
      <head>
        <script dangerouslySetInnerHTML={{ __html: THEME_SCRIPT }} />
      </head>
      <body>{children}</body>
    </html>
  );
}
