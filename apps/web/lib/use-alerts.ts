"use client";
import { useSyncExternalStore } from "react";
import type { SeriesAlert } from "./alert-state";
import { alertOf } from "./alert-state";
import type { AlertsSnapshot, AlertsWatch } from "./alerts-watch";

const noSubscribe = () => () => undefined;
const none = () => null;

/** The watch's latest answer (null until the first one, or without a watch); re-renders on change only. */
export function useAlertsSnapshot(watch: AlertsWatch | null): AlertsSnapshot | null {
  return useSyncExternalStore(watch?.subscribe ?? noSubscribe, watch?.current ?? none, none);
}

/** How a chart or panel showing `series` is marked (null: nothing pending or firing there). */
export function useSeriesAlert(watch: AlertsWatch | null, series: readonly string[]): SeriesAlert | null {
  const snapshot = useAlertsSnapshot(watch);
  return snapshot === null ? null : alertOf(snapshot.bySeries, series);
}
