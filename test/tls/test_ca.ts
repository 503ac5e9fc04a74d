/**
 * A throwaway PKI made with `openssl` in a temp dir: a test CA, a server certificate it signed for
 * 127.0.0.1 and localhost, the same name signed by another CA (untrusted), an expired one, and a
 * second valid one (for reloads).
 * @module
 */

/** Paths of the PEM files {@linkcode makeTestPki} wrote. */
export interface TestPki extends AsyncDisposable {
  readonly dir: string;
  /** The test CA's certificate: what clients are told to trust. */
  readonly caCert: string;
  /** A server certificate signed by the test CA, and its key. */
  readonly cert: string;
  readonly key: string;
  /** Another server certificate signed by the test CA (a renewal), and its key. */
  readonly cert2: string;
  readonly key2: string;
  /** A server certificate for the same names from a CA nobody trusts. */
  readonly untrustedCert: string;
  readonly untrustedKey: string;
  /** A server certificate signed by the test CA that expired in 2020. */
  readonly expiredCert: string;
  readonly expiredKey: string;
}

/** Whether `openssl` is on PATH. */
export function haveOpenssl(): boolean {
  try {
    return new Deno.Command("openssl", { args: ["version"], stdout: "null", stderr: "null" })
      .outputSync().success;
  } catch {
    return false;
  }
}

const SAN = "subjectAltName=IP:127.0.0.1,DNS:localhost\n";

async function openssl(dir: string, args: string[]): Promise<void> {
  const out = await new Deno.Command("openssl", {
    args,
    cwd: dir,
    stdout: "piped",
    stderr: "piped",
  })
    .output();
  if (!out.success) {
    throw new Error(`openssl ${args[0]} failed: ${new TextDecoder().decode(out.stderr)}`);
  }
}

async function newKey(dir: string, name: string): Promise<void> {
  await openssl(dir, ["ecparam", "-name", "prime256v1", "-genkey", "-noout", "-out", name]);
}

async function selfSignedCa(dir: string, name: string): Promise<void> {
  await newKey(dir, `${name}.key`);
  await openssl(dir, [
    ...["req", "-x509", "-new", "-key", `${name}.key`, "-out", `${name}.pem`, "-days", "3"],
    ...["-subj", `/CN=rtmp-edge ${name}`],
  ]);
}

async function csr(dir: string, name: string): Promise<void> {
  await newKey(dir, `${name}.key`);
  await openssl(dir, [
    "req",
    "-new",
    "-key",
    `${name}.key`,
    "-out",
    `${name}.csr`,
    "-subj",
    "/CN=localhost",
  ]);
}

async function sign(dir: string, name: string, ca: string): Promise<void> {
  await csr(dir, name);
  await openssl(dir, [
    ...["x509", "-req", "-in", `${name}.csr`, "-CA", `${ca}.pem`, "-CAkey", `${ca}.key`],
    ...["-CAcreateserial", "-out", `${name}.pem`, "-days", "3", "-extfile", "san.ext"],
  ]);
}

/** `openssl ca` can backdate a certificate; `openssl x509` of OpenSSL 3.0 cannot. */
async function signExpired(dir: string, name: string, ca: string): Promise<void> {
  await csr(dir, name);
  await Deno.writeTextFile(`${dir}/index.txt`, "");
  await Deno.writeTextFile(`${dir}/serial`, "1000\n");
  await Deno.writeTextFile(
    `${dir}/ca.cnf`,
    [
      "[ca]",
      "default_ca = test",
      "[test]",
      `database = ${dir}/index.txt`,
      `new_certs_dir = ${dir}`,
      `serial = ${dir}/serial`,
      "default_md = sha256",
      "policy = any",
      "[any]",
      "commonName = supplied",
      "",
    ].join("\n"),
  );
  await openssl(dir, [
    ...["ca", "-batch", "-config", "ca.cnf", "-cert", `${ca}.pem`, "-keyfile", `${ca}.key`],
    ...["-in", `${name}.csr`, "-out", `${name}.pem`, "-extfile", "san.ext"],
    ...["-startdate", "20200101000000Z", "-enddate", "20200102000000Z", "-notext"],
  ]);
}

/** Makes the PKI in a new temp dir; dispose to remove it. */
export async function makeTestPki(): Promise<TestPki> {
  const dir = await Deno.makeTempDir({ prefix: "rtmp-edge-pki-" });
  try {
    await Deno.writeTextFile(`${dir}/san.ext`, SAN);
    await selfSignedCa(dir, "ca");
    await selfSignedCa(dir, "other-ca");
    await sign(dir, "server", "ca");
    await sign(dir, "server2", "ca");
    await sign(dir, "untrusted", "other-ca");
    await signExpired(dir, "expired", "ca");
  } catch (e) {
    await Deno.remove(dir, { recursive: true });
    throw e;
  }
  const p = (name: string) => `${dir}/${name}`;
  return {
    dir,
    caCert: p("ca.pem"),
    cert: p("server.pem"),
    key: p("server.key"),
    cert2: p("server2.pem"),
    key2: p("server2.key"),
    untrustedCert: p("untrusted.pem"),
    untrustedKey: p("untrusted.key"),
    expiredCert: p("expired.pem"),
    expiredKey: p("expired.key"),
    async [Symbol.asyncDispose]() {
      await Deno.remove(dir, { recursive: true });
    },
  };
}
