import bcrypt from "bcryptjs";

/**
 * bcrypt cost for a password someone chose (config `auth.password`): a person's password
 * may be guessable, and each step of cost doubles the work of every guess against a
 * leaked htpasswd.
 */
export const CHOSEN_PASSWORD_BCRYPT_COST = 10;

/**
 * bcrypt cost for the password the program generates (32 random alphanumerics, about
 * 190 bits): no guessing attack gets anywhere near it, so the cost only slows the
 * registry, which checks the hash on every request (docs/PERFORMANCE.md). 4 is bcrypt's
 * minimum.
 */
export const GENERATED_PASSWORD_BCRYPT_COST = 4;

/** 22 characters of bcrypt's base64 alphabet: the salt a hash is made with. */
export const SALT_PATTERN = /^[./A-Za-z0-9]{22}$/;

export interface HtpasswdUser {
  username: string;
  password: string;
  /** A stable salt, so the same password gives the same file and no needless redeploy. */
  salt: string;
  /** bcrypt cost, 4–31; CHOSEN_PASSWORD_BCRYPT_COST when not given. */
  cost?: number;
}

/**
 * An htpasswd file (one `user:bcrypt-hash` line per user) that carries no plain text.
 * The registry's htpasswd auth reads bcrypt only; other hashes are silently ignored.
 */
export function renderHtpasswd(users: HtpasswdUser[]): string {
  return users
    .map(({ username, password, salt, cost = CHOSEN_PASSWORD_BCRYPT_COST }) => {
      if (!SALT_PATTERN.test(salt))
        throw new Error("htpasswd salt must be 22 bcrypt base64 characters");
      if (username.includes(":")) throw new Error("htpasswd user names cannot contain ':'");
      if (!Number.isInteger(cost) || cost < 4 || cost > 31)
        throw new Error(`bcrypt cost must be an integer from 4 to 31, not ${cost}`);
      const rounds = String(cost).padStart(2, "0");
      return `${username}:${bcrypt.hashSync(password, `$2y$${rounds}$${salt}`)}\n`;
    })
    .join("");
}
