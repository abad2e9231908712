/** Calendar days as the weekly job's snapshots are keyed: \`YYYY-MM-DD\`, in UTC. */

export const DAY_MS = 86_400_000;

export const dateOf = (instant: Date): string => instant.toISOString().slice(0, 10);

export const dayBefore = (date: string): string => dateOf(new Date(Date.parse(date) - DAY_MS));
