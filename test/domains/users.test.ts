import { TEST_OUTBOUND } from '../support/stack';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Db } from '../../db/client';
import { NotFoundError } from '../../domains/errors';
import { createUserService, hashPassword, verifyPassword, type UserService } from '../../domains/users';
import { connectDb, rejectionOf, uid } from './helpers';

describe('users', () => {
  let db: Db;
  let users: UserService;

  beforeAll(async () => {
    db = await connectDb();
    users = createUserService({ db, webhookPolicy: TEST_OUTBOUND });
  });
  afterAll(async () => {
    await db.$disconnect();
  });

  const email = () => `${uid('user-')}@Example.com`;

  it('hashes with scrypt and a random salt, in the scrypt$N$r$p$salt$hash format', async () => {
    const a = await hashPassword('correct horse');
    const b = await hashPassword('correct horse');
    expect(a).toMatch(/^scrypt\$131072\$8\$1\$[A-Za-z0-9+/=]+\$[A-Za-z0-9+/=]+$/);
    expect(a).not.toBe(b);
    expect(await verifyPassword('correct horse', a)).toBe(true);
    expect(await verifyPassword('correct horsE', a)).toBe(false);
    expect(await verifyPassword('correct horse', 'garbage')).toBe(false);
  });

  it('registers (email lower-cased, no hash in the view) and logs in', async () => {
    const raw = email();
    const u = await users.registerUser({ email: ` ${raw} `, password: 's3cret-pass' });
    expect(u).toMatchObject({ email: raw.toLowerCase(), role: 'user', webhookUrl: null });
    expect(u).not.toHaveProperty('passwordHash');
    const stored = await db.user.findUniqueOrThrow({ where: { id: u.id } });
    expect(stored.passwordHash.startsWith('scrypt$')).toBe(true);
    expect(stored.passwordHash).not.toContain('s3cret-pass');
    expect(await users.verifyLogin(raw.toUpperCase(), 's3cret-pass')).toMatchObject({ id: u.id });
  });

  it('wrong password and unknown email both answer null', async () => {
    const raw = email();
    await users.registerUser({ email: raw, password: 'right-password' });
    expect(await users.verifyLogin(raw, 'wrong-password')).toBeNull();
    expect(await users.verifyLogin(`nobody-${raw}`, 'right-password')).toBeNull();
    expect(await users.verifyLogin('', 'x')).toBeNull();
  });

  it('rejects a short password, a bad email and a taken email', async () => {
    expect(await rejectionOf(users.registerUser({ email: email(), password: 'short' }))).toMatchObject({ code: 'WEAK_PASSWORD' });
    expect(await rejectionOf(users.registerUser({ email: 'not-an-email', password: 'long-enough' }))).toMatchObject({ code: 'INVALID_EMAIL' });
    const raw = email();
    await users.registerUser({ email: raw, password: 'long-enough' });
    expect(await rejectionOf(users.registerUser({ email: raw.toUpperCase(), password: 'long-enough' }))).toMatchObject({ code: 'EMAIL_TAKEN' });
  });

  it('ensureAdmin creates the admin, then keeps it, then updates its password', async () => {
    const raw = email();
    const admin = await users.ensureAdmin(raw, 'admin-pass-1');
    expect(admin.role).toBe('admin');
    expect(await users.ensureAdmin(raw, 'admin-pass-1')).toEqual(admin);
    await users.ensureAdmin(raw, 'admin-pass-2');
    expect(await users.verifyLogin(raw, 'admin-pass-1')).toBeNull();
    expect(await users.verifyLogin(raw, 'admin-pass-2')).toMatchObject({ id: admin.id, role: 'admin' });

    const promoted = email();
    const u = await users.registerUser({ email: promoted, password: 'user-pass-1' });
    expect(await users.ensureAdmin(promoted, 'user-pass-1')).toMatchObject({ id: u.id, role: 'admin' });
  });

  it('sets and clears a webhook (http(s) only); roles change; unknown users are NotFoundError', async () => {
    const u = await users.registerUser({ email: email(), password: 'long-enough' });
    expect(await users.setWebhook(u.id, 'http://127.0.0.1:9999/hook')).toMatchObject({ webhookUrl: 'http://127.0.0.1:9999/hook' });
    expect(await users.webhookUrlOf(u.id)).toBe('http://127.0.0.1:9999/hook');
    expect(await rejectionOf(users.setWebhook(u.id, 'ftp://x'))).toMatchObject({ code: 'INVALID_WEBHOOK_URL' });
    expect(await users.setWebhook(u.id, null)).toMatchObject({ webhookUrl: null });
    expect(await users.setRole(u.id, 'operator')).toMatchObject({ role: 'operator' });
    expect(await rejectionOf(users.setRole(u.id, 'root' as never))).toMatchObject({ code: 'INVALID_ROLE' });
    expect(await rejectionOf(users.setWebhook('missing', 'http://127.0.0.1:9999/hook'))).toBeInstanceOf(NotFoundError);
    expect(await rejectionOf(users.getUser('missing'))).toBeInstanceOf(NotFoundError);
  });
});
