import { z } from 'zod';

/** Milliseconds since the epoch (UTC). */
export const timestampSchema = z.number().int().nonnegative();

export const nonEmptyName = z.string().trim().min(1, 'must not be empty').max(200);
