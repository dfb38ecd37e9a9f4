import type { Connection } from 'mongoose';
import { DUMP, LOG, MARKDOWN, MEMORY, NOTIFICATION, RECENT, SESSION, STATE, STORAGE } from '../subsystems';
import { PersistDbService } from './mongo-adapter';

/**
 * The `<Name>DbService` of each subsystem (DESIGN.md §1, "Adding a collection"): BaseCRUD over the
 * subsystem's collection, whose compound unique index is generated from its context key.
 */
export class SessionDbService extends PersistDbService {
  constructor(conn: Connection) {
    super(conn, SESSION);
  }
}

export class StorageDbService extends PersistDbService {
  constructor(conn: Connection) {
    super(conn, STORAGE);
  }
}

export class RecentDbService extends PersistDbService {
  constructor(conn: Connection) {
    super(conn, RECENT);
  }
}

export class NotificationDbService extends PersistDbService {
  constructor(conn: Connection) {
    super(conn, NOTIFICATION);
  }
}

export class MemoryDbService extends PersistDbService {
  constructor(conn: Connection) {
    super(conn, MEMORY);
  }
}

export class StateDbService extends PersistDbService {
  constructor(conn: Connection) {
    super(conn, STATE);
  }
}

export class DumpDbService extends PersistDbService {
  constructor(conn: Connection) {
    super(conn, DUMP);
  }
}

export class MarkdownDbService extends PersistDbService {
  constructor(conn: Connection) {
    super(conn, MARKDOWN);
  }
}

export class LogDbService extends PersistDbService {
  constructor(conn: Connection) {
    super(conn, LOG);
  }
}
