import mongoose from 'mongoose';

/**
 * Reads MongoDB directly, over a connection of its own, so a test can check what the app really
 * stored instead of what the page shows. `uri` defaults to the e2e host's database (global setup).
 */
export async function withDatabase<T>(fn: (db: mongoose.Connection) => Promise<T>, uri = process.env.E2E_MONGO_URI): Promise<T> {
  if (!uri) throw new Error('E2E_MONGO_URI is not set: run the tests through playwright.config.ts (its global setup starts the database)');
  const conn = await mongoose.createConnection(uri, { serverSelectionTimeoutMS: 15_000 }).asPromise();
  try {
    return await fn(conn);
  } finally {
    await conn.close();
  }
}

/** The ids of a run's notifications as stored in `notification-items`, newest first. */
export async function storedNotificationIds(runId: string, uri?: string): Promise<string[]> {
  return withDatabase(async (db) => {
    // @backtest-kit/mongo's layout: the notification under `payload`, the monitor's run id under `monitor`.
    const docs = await db.collection('notification-items').find({ 'monitor.runId': runId }, { projection: { notificationId: 1, 'payload.createdAt': 1 } }).toArray();
    return docs
      .map((d) => ({ id: String(d.notificationId), at: Number((d.payload as { createdAt?: number } | undefined)?.createdAt ?? 0) }))
      .sort((a, b) => b.at - a.at || (a.id < b.id ? 1 : -1))
      .map((d) => d.id);
  }, uri);
}
