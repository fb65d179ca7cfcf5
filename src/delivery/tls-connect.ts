/**
 * The TLS side of an endpoint's connection pool. Peer verification is always on
 * (`rejectUnauthorized: true` is written here, not left to a default), with the endpoint's
 * own CA bundle when it has one and its client certificate for mutual TLS.
 *
 * A configured `servername` must win over the URL's host for both SNI and the certificate
 * check. undici derives a server name from the request's host and prefers it to the one in
 * its connect options, so the name is set on every connection by a thin connector instead.
 */
import type { ConnectionOptions } from 'node:tls';
import { buildConnector } from 'undici';
import type { TlsFiles } from '../config/types.ts';

/** Node TLS options for `files`; pure, so the mapping can be checked without a socket. */
export function tlsOptions(files: TlsFiles): ConnectionOptions {
  return {
    rejectUnauthorized: true,
    ...(files.ca === undefined ? {} : { ca: files.ca }),
    ...(files.cert === undefined ? {} : { cert: files.cert }),
    ...(files.key === undefined ? {} : { key: files.key.reveal() }),
    ...(files.servername === undefined ? {} : { servername: files.servername }),
  };
}

/** undici `connect` option of an endpoint pool. */
export function endpointConnect(files: TlsFiles, timeoutMs: number): buildConnector.BuildOptions | buildConnector.connector {
  const options = { ...tlsOptions(files), timeout: timeoutMs };
  const servername = files.servername;
  if (servername === undefined) return options;
  const connect = buildConnector(options);
  return (target, callback) => {
    connect({ ...target, servername }, callback);
  };
}
