import { amfProps, type AmfValue } from './amf0.js';

/**
 * RTMP command shapes: parsing what clients send (NetConnection / NetStream calls) and building
 * what we answer. Pure data; the session decides when to send what.
 */

export interface Command {
  name: string;
  txid: number;
  /** The command object (connect) or null. */
  object: Record<string, AmfValue> | undefined;
  args: AmfValue[];
}

export function parseCommand(values: AmfValue[]): Command | undefined {
  const [name, txid, object, ...args] = values;
  if (typeof name !== 'string') return undefined;
  return {
    name,
    txid: typeof txid === 'number' && Number.isFinite(txid) ? txid : 0,
    object: object === undefined ? undefined : amfProps(object),
    args,
  };
}

/** "live", "live/", "live?key=x" -> { app: "live", query }. */
export function parseApp(raw: string): { app: string; query: URLSearchParams } {
  const q = raw.indexOf('?');
  const app = (q < 0 ? raw : raw.slice(0, q)).replace(/\/+$/, '');
  return { app, query: new URLSearchParams(q < 0 ? '' : raw.slice(q + 1)) };
}

export const STREAM_NAME = /^[A-Za-z0-9_-]{1,128}$/;

/** "demo?key=x" -> { name: "demo", query }; the name is not validated here. */
export function parseStreamName(raw: string): { name: string; query: URLSearchParams } {
  const q = raw.indexOf('?');
  return {
    name: q < 0 ? raw : raw.slice(0, q),
    query: new URLSearchParams(q < 0 ? '' : raw.slice(q + 1)),
  };
}

/** Query parameters of a tcUrl such as rtmp://host/live?token=abc, or none if it does not parse. */
export function tcUrlQuery(tcUrl: unknown): URLSearchParams {
  if (typeof tcUrl !== 'string') return new URLSearchParams();
  const q = tcUrl.indexOf('?');
  return new URLSearchParams(q < 0 ? '' : tcUrl.slice(q + 1));
}

export function mergeQuery(...qs: URLSearchParams[]): URLSearchParams {
  const out = new URLSearchParams();
  for (const q of qs) for (const [k, v] of q) out.append(k, v);
  return out;
}

export function connectResult(txid: number): AmfValue[] {
  return [
    '_result',
    txid,
    { fmsVer: 'FMS/3,0,1,123', capabilities: 31 },
    {
      level: 'status',
      code: 'NetConnection.Connect.Success',
      description: 'Connection succeeded.',
      objectEncoding: 0,
    },
  ];
}

export function result(txid: number, ...values: AmfValue[]): AmfValue[] {
  return ['_result', txid, null, ...values];
}

export function callError(txid: number, description: string): AmfValue[] {
  return ['_error', txid, null, { level: 'error', code: 'NetConnection.Call.Failed', description }];
}

export function onStatus(level: 'status' | 'error', code: string, description: string): AmfValue[] {
  return ['onStatus', 0, null, { level, code, description }];
}

export function onFCPublish(name: string): AmfValue[] {
  return ['onFCPublish', 0, null, { code: 'NetStream.Publish.Start', description: name }];
}
