import bcrypt from "bcryptjs";

/** The registry's htpasswd auth reads bcrypt only; other hashes are silently ignored. */
export const BCRYPT_COST = 10;

/** 22 characters of bcrypt's base64 alphabet: the salt a hash is made with. */
export const SALT_PATTERN = /^[./A-Za-z0-9]{22}$/;

export interface HtpasswdUser {
  username: string;
  password: string;
  /** A stable salt, so the same password gives the same file and no needless redeploy. */
  salt: string;
}

/** An htpasswd file (one `user:bcrypt-hash` line per user) that carries no plain text. */
export function renderHtpasswd(users: HtpasswdUser[]): string {
  return users
    .map(({ username, password, salt }) => {
      if (!SALT_PATTERN.test(salt))
        throw new Error("htpasswd salt must be 22 bcrypt base64 characters");
      if (username.includes(":")) throw new Error("htpasswd user names cannot contain ':'");
      return `${username}:${bcrypt.hashSync(password, `$2y$${BCRYPT_COST}$${salt}`)}\n`;
    })
    .join("");
}
