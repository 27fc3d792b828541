export { createLivedashClient } from "./client";
export type { LivedashClient, LivedashClientOptions, LivedashConnection } from "./client";
export type { ConnectionListener, ConnectionState, ConnectionStatus, TransportKind, TransportPreference } from "./connection-state";
export { LADDER_DEFAULTS } from "./options";
export { TicketCache, TicketError } from "./auth/ticket-cache";
export type { TicketCacheOptions, TicketGrant, TicketProvider } from "./auth/ticket-cache";
export { retryDelayMs } from "./ladder/backoff";
export type { RetryPolicy } from "./ladder/backoff";
export type { LadderOptions } from "./options";
export type { EventSourceConstructorLike, WebSocketConstructorLike } from "./transports/types";
export type { CatalogEntry, LabelMatch, LabelsResult, LiveEvent, Point, SeriesInfo, SeriesSelector } from "@livedash/events";
// Selectors (docs/selectors.md): build one, split a comma-separated list, match keys client-side.
export { compileSeriesMatcher, parseSelector, selector, splitSelectorList } from "@livedash/events";
