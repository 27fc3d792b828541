export * from "./series";
export * from "./point";
export * from "./live";
export * from "./procedures";
export * from "./glob";
