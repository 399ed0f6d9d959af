import type { Db } from '../../db/client';
import { BusinessRejection, NotFoundError, isUniqueViolation } from '../errors';
import { randomBytes } from 'node:crypto';
import { OutboundUrlError, STRICT_OUTBOUND, checkOutboundUrl, type OutboundPolicy } from '../../shared/outbound-url';
import { hashPassword, needsRehash, verifyPassword } from './password';

export type UserRole = 'user' | 'operator' | 'admin';
export const USER_ROLES: readonly UserRole[] = ['user', 'operator', 'admin'];

/** A user as the rest of the platform sees one: never the password hash. */
export interface UserView {
  id: string;
  email: string;
  role: UserRole;
  webhookUrl: string | null;
  /** Raised by a role or password change; the API's tokens carry it and are refused once it moved. */
  tokenVersion: number;
  createdAt: string;
}

export interface UserServiceDeps {
  db: Db;
  /** Where webhooks may point (default: https to public addresses only). */
  webhookPolicy?: OutboundPolicy;
}

export const MIN_PASSWORD_LENGTH = 8;
export const MAX_PASSWORD_LENGTH = 1024;
const EMAIL_PATTERN = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

type UserRow = { id: string; email: string; role: string; webhookUrl: string | null; tokenVersion: number; createdAt: Date; passwordHash: string };

/**
 * Users: accounts, roles and webhooks. Passwords are hashed with scrypt and a random
 * salt; logins compare in constant time and do the same work whether or not the email
 * exists. Tokens are the API's business.
 */
export function createUserService({ db, webhookPolicy = STRICT_OUTBOUND }: UserServiceDeps) {
  // A hash to verify against when the email is unknown, so that the answer takes as long.
  let dummyHash: Promise<string> | undefined;

  const view = (u: UserRow): UserView => ({
    id: u.id,
    email: u.email,
    role: u.role as UserRole,
    webhookUrl: u.webhookUrl,
    tokenVersion: u.tokenVersion,
    createdAt: u.createdAt.toISOString(),
  });

  async function requireUser(userId: string): Promise<UserRow> {
    const user = await db.user.findUnique({ where: { id: userId } });
    if (!user) throw new NotFoundError(`user ${userId} does not exist`);
    return user;
  }

  return {
    /** USER role. INVALID_EMAIL, WEAK_PASSWORD (under 8 characters), INVALID_PASSWORD (over 1024), EMAIL_TAKEN. */
    async registerUser(input: { email: string; password: string }): Promise<UserView> {
      const email = normaliseEmail(input.email);
      checkPassword(input.password);
      const passwordHash = await hashPassword(input.password);
      try {
        return view(await db.user.create({ data: { email, passwordHash, role: 'user' } }));
      } catch (err) {
        if (isUniqueViolation(err, 'email')) throw new BusinessRejection('EMAIL_TAKEN', `${email} is already registered`);
        throw err;
      }
    },

    /** The user when email and password match; null otherwise (unknown email and wrong password alike). */
    async verifyLogin(email: string, password: string): Promise<UserView | null> {
      const normalised = typeof email === 'string' ? email.trim().toLowerCase() : '';
      if (typeof password !== 'string' || password.length > MAX_PASSWORD_LENGTH) return null;
      const user = normalised ? await db.user.findUnique({ where: { email: normalised } }) : null;
      if (!user) {
        await verifyPassword(password, await (dummyHash ??= hashPassword('not-a-real-password')));
        return null;
      }
      if (!(await verifyPassword(password, user.passwordHash))) return null;
      // A hash made with weaker parameters is replaced now that the password is at hand.
      if (needsRehash(user.passwordHash)) {
        const passwordHash = await hashPassword(password);
        await db.user.updateMany({ where: { id: user.id, passwordHash: user.passwordHash }, data: { passwordHash } });
      }
      return view(user);
    },

    /**
     * Changes the user's password after checking the current one, and ends every token issued
     * before (tokenVersion + 1). WRONG_PASSWORD, WEAK_PASSWORD, INVALID_PASSWORD.
     */
    async changePassword(userId: string, currentPassword: string, newPassword: string): Promise<UserView> {
      const user = await requireUser(userId);
      if (!(await verifyPassword(String(currentPassword ?? ''), user.passwordHash))) {
        throw new BusinessRejection('WRONG_PASSWORD', 'the current password is wrong');
      }
      checkPassword(newPassword);
      const passwordHash = await hashPassword(newPassword);
      return view(await db.user.update({ where: { id: userId }, data: { passwordHash, tokenVersion: { increment: 1 } } }));
    },

    /** The user's token version; null when there is no such user (its tokens are refused). */
    async tokenVersionOf(userId: string): Promise<number | null> {
      const user = await db.user.findUnique({ where: { id: userId }, select: { tokenVersion: true } });
      return user?.tokenVersion ?? null;
    },

    /** Makes sure `email` is an admin with `password` (created, or promoted and its password set). */
    async ensureAdmin(email: string, password: string): Promise<UserView> {
      const normalised = normaliseEmail(email);
      checkPassword(password);
      for (;;) {
        const existing = await db.user.findUnique({ where: { email: normalised } });
        if (existing) {
          if (existing.role === 'admin' && (await verifyPassword(password, existing.passwordHash))) return view(existing);
          const updated = await db.user.update({
            where: { id: existing.id },
            data: { role: 'admin', passwordHash: await hashPassword(password), tokenVersion: { increment: 1 } },
          });
          return view(updated);
        }
        try {
          return view(await db.user.create({ data: { email: normalised, passwordHash: await hashPassword(password), role: 'admin' } }));
        } catch (err) {
          if (!isUniqueViolation(err, 'email')) throw err; // created meanwhile (another process): update it
        }
      }
    },

    async getUser(userId: string): Promise<UserView> {
      return view(await requireUser(userId));
    },

    async findUserByEmail(email: string): Promise<UserView | null> {
      const user = await db.user.findUnique({ where: { email: String(email).trim().toLowerCase() } });
      return user ? view(user) : null;
    },

    /**
     * Sets (or with null, removes) the user's webhook, with a new signing secret that this answer
     * shows once. INVALID_WEBHOOK_URL unless https (http where the policy allows) and every
     * address the host resolves to is public (or the host is on the policy's allow-list).
     */
    async setWebhook(userId: string, url: string | null): Promise<UserView & { webhookSecret: string | null }> {
      let webhookUrl: string | null = null;
      if (url !== null) {
        try {
          webhookUrl = await checkOutboundUrl(url, webhookPolicy);
        } catch (err) {
          if (err instanceof OutboundUrlError) throw new BusinessRejection('INVALID_WEBHOOK_URL', `the webhook ${err.message}`);
          throw err;
        }
      }
      await requireUser(userId);
      const webhookSecret = webhookUrl === null ? null : `whsec_${randomBytes(24).toString('base64url')}`;
      return { ...view(await db.user.update({ where: { id: userId }, data: { webhookUrl, webhookSecret } })), webhookSecret };
    },

    /** Admin: changes a user's role; the user's earlier tokens (with the old role) end at once. INVALID_ROLE. */
    async setRole(userId: string, role: UserRole): Promise<UserView> {
      if (!USER_ROLES.includes(role)) throw new BusinessRejection('INVALID_ROLE', `unknown role "${role}"`);
      const user = await requireUser(userId);
      if (user.role === role) return view(user);
      return view(await db.user.update({ where: { id: userId }, data: { role, tokenVersion: { increment: 1 } } }));
    },

    /** The port notifications use to find a user's webhook. */
    async webhookUrlOf(userId: string): Promise<string | null> {
      const user = await db.user.findUnique({ where: { id: userId }, select: { webhookUrl: true } });
      return user?.webhookUrl ?? null;
    },

    /** The user's webhook and the secret that signs deliveries to it, or null. */
    async webhookOf(userId: string): Promise<{ url: string; secret: string | null } | null> {
      const user = await db.user.findUnique({ where: { id: userId }, select: { webhookUrl: true, webhookSecret: true } });
      return user?.webhookUrl ? { url: user.webhookUrl, secret: user.webhookSecret } : null;
    },
  };
}

export type UserService = ReturnType<typeof createUserService>;

function normaliseEmail(raw: string): string {
  const email = typeof raw === 'string' ? raw.trim().toLowerCase() : '';
  if (email.length > 254 || !EMAIL_PATTERN.test(email)) throw new BusinessRejection('INVALID_EMAIL', 'a valid email address is needed');
  return email;
}

function checkPassword(password: string): void {
  if (typeof password !== 'string' || password.length < MIN_PASSWORD_LENGTH) {
    throw new BusinessRejection('WEAK_PASSWORD', `a password needs at least ${MIN_PASSWORD_LENGTH} characters`);
  }
  if (password.length > MAX_PASSWORD_LENGTH) {
    throw new BusinessRejection('INVALID_PASSWORD', `a password has at most ${MAX_PASSWORD_LENGTH} characters`);
  }
}

