/** The fields of a rule (AlertRuleInputSchema), in form order: a server error naming one is shown beside it. */
export const RULE_FIELDS = ["name", "series", "above", "below", "noData", "clear", "for", "severity", "description", "webhook", "format"] as const;

/** The fields of a silence (SilenceInputSchema). */
export const SILENCE_FIELDS = ["rule", "labels", "reason", "duration", "expiresAt"] as const;
