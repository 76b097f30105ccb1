import { isIP } from 'node:net';
import { generate } from 'selfsigned';

/**
 * A self-signed certificate for RTMPS when no certificate files are configured. Broadcasting
 * tools either skip verification (ffmpeg by default) or let the user trust it once.
 */
export async function selfSignedCert(hostnames: string[]): Promise<{ cert: string; key: string }> {
  const names = [...new Set(['localhost', '127.0.0.1', '::1', ...hostnames])];
  const notBeforeDate = new Date();
  const notAfterDate = new Date(notBeforeDate);
  notAfterDate.setFullYear(notAfterDate.getFullYear() + 1);
  const pems = await generate([{ name: 'commonName', value: hostnames[0] ?? 'localhost' }], {
    keyType: 'rsa',
    keySize: 2048,
    algorithm: 'sha256',
    notBeforeDate,
    notAfterDate,
    extensions: [
      { name: 'basicConstraints', cA: false },
      { name: 'keyUsage', digitalSignature: true, keyEncipherment: true },
      { name: 'extKeyUsage', serverAuth: true },
      {
        name: 'subjectAltName',
        altNames: names.map((n) => (isIP(n) ? { type: 7 as const, ip: n } : { type: 2 as const, value: n })),
      },
    ],
  });
  return { cert: pems.cert, key: pems.private };
}
