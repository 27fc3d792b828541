// Prints an argon2id hash for LIVEDASH_USERS_FILE. The password is read from stdin (not an argument,
// so it stays out of shell history and `ps`):  printf '%s' 'the password' | npm run -s hash-password -w @livedash/web
import { hash } from "@node-rs/argon2";

const chunks = [];
for await (const chunk of process.stdin) chunks.push(chunk);
const password = Buffer.concat(chunks).toString("utf8").replace(/\r?\n$/, "");
if (password.length < 12 || password.length > 1024) {
  console.error("hash-password: the password must be 12 to 1024 characters (read from stdin)");
  process.exit(1);
}
console.log(await hash(password));
