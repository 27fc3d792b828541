import type { Metadata, Viewport } from "next";
import type { ReactNode } from "react";
import "uplot/dist/uPlot.min.css";
import "./globals.css";
import "./alerts.css";

export const metadata: Metadata = {
  title: "Livedash",
  description: "Live metrics of this host, the Livedash server and anything pushed to it",
};

export const viewport: Viewport = { width: "device-width", initialScale: 1 };

// Runs before paint: the saved (or system) theme, so a light-theme user never sees a dark flash.
const THEME_SCRIPT = `try{var t=new URLSearchParams(location.search).get("theme")||localStorage.getItem("livedash-theme")||(matchMedia("(prefers-color-scheme: light)").matches?"light":"dark");document.documentElement.dataset.theme=t==="light"?"light":"dark"}catch(e){}`;

export default function RootLayout({ children }: { children: ReactNode }) {
  return (
    <html lang="en" data-theme="dark" suppressHydrationWarning>
      <head>
        <script dangerouslySetInnerHTML={{ __html: THEME_SCRIPT }} />
      </head>
      <body>{children}</body>
    </html>
  );
}
