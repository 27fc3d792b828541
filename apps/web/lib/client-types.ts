import type { ConnectionState, TicketProvider, TransportPreference } from "@livedash/client";
import type { AlertsList, Annotation, HistoryColumns, HistoryInput, HostsEvent, LabelsInput, LabelsResult, LiveEvent, LiveInput, SeriesInfo, ServerInfo } from "@livedash/events";

/** The connection state is the client's own type: one definition, in @livedash/client. */
export type { ConnectionState, ConnectionStatus, TransportKind } from "@livedash/client";
export type TransportChoice = TransportPreference;

export interface LiveHandlers {
  onData(event: { id: string; data: LiveEvent }): void;
  onError(error: unknown): void;
}

export interface HostsHandlers {
  onData(event: { id: string; data: HostsEvent }): void;
  onError(error: unknown): void;
}

/**
 * The slice of the Livedash client the dashboard uses. Everything in components/ talks to this,
 * so swapping the implementation (lib/open-client.ts) is a one-file change.
 */
export interface DashboardClient {
  catalog(): Promise<SeriesInfo[]>;
  /** metrics.labels: the label names of the series a selector matches, each with its distinct values (the explorer's filters). */
  labels(input: LabelsInput): Promise<LabelsResult>;
  /** metrics.historyColumns: buckets as parallel arrays (no object per bucket on the wire). */
  history(input: HistoryInput): Promise<HistoryColumns[]>;
  info(): Promise<ServerInfo>;
  /** alerts.list: rules with their series' states, active silences, recent transitions. */
  alerts(): Promise<AlertsList>;
  /** metrics.annotations: those overlapping [from, to] (server time). */
  annotations(range: { from: number; to: number }): Promise<Annotation[]>;
  /** One multiplexed subscription; the client resumes by id across reconnects and transport switches. */
  subscribeLive(input: LiveInput, handlers: LiveHandlers): { unsubscribe(): void };
  /** hosts.live: the whole fleet at once, then on every change (same connection as subscribeLive). */
  subscribeHosts(handlers: HostsHandlers): { unsubscribe(): void };
  connection: {
    get(): ConnectionState;
    subscribe(listener: (state: ConnectionState) => void): () => void;
  };
  close(): void;
}

export interface OpenClientOptions {
  /** Base URL of the Livedash server, e.g. http://127.0.0.1:4000. */
  url: string;
  transport?: TransportChoice;
  token?: string;
  /** Short-lived read tickets instead of a token (sign-in on): see lib/auth/ticket-source.ts. */
  ticket?: TicketProvider;
}
