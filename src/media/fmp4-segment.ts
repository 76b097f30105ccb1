/** Media segments: [styp] + moof + one mdat. ISO/IEC 14496-12 8.8, CMAF 23000-19 7.3.2. */
import { box, u32, u64 } from './bmff-write.js';
import { writeFtyp } from './fmp4-init.js';
import {
  SAMPLE_FLAGS_NON_SYNC,
  SAMPLE_FLAGS_SYNC,
  TFHD_DEFAULT_BASE_IS_MOOF,
  TRUN_DATA_OFFSET_POS,
  writeMfhd,
  writeTfdt,
  writeTfhd,
  writeTrun,
} from './fmp4-boxes.js';
import type { MediaSegmentOptions } from './fmp4-types.js';

/**
 * 'msdh' is the DASH media segment brand. 'cmfs'/'cmff' claim a CMAF segment/fragment, which
 * holds one track per fragment: listed only when that is true. 'msix' is not claimed (it
 * requires a sidx, which live segments do not carry).
 */
export function segmentBrands(fragmentCount: number): string[] {
  return fragmentCount === 1 ? ['msdh', 'cmfs', 'cmff'] : ['msdh'];
}

export function writeStyp(fragmentCount: number): Buffer {
  const ftyp = writeFtyp('msdh', 0, segmentBrands(fragmentCount));
  ftyp.write('styp', 4, 'latin1');
  return ftyp;
}

/**
 * Builds one segment. Sample payloads are copied exactly once: into the result, by the final
 * Buffer.concat. Every traf's samples sit in the single mdat in traf order, and each trun's
 * data_offset is relative to the start of the moof (tfhd default-base-is-moof).
 */
export function writeMediaSegment(opts: MediaSegmentOptions): Buffer {
  const trafs: Buffer[] = [];
  const offsetPositions: number[] = [];
  const payload: Buffer[] = [];
  const trafPayloadStart: number[] = [];
  let payloadSize = 0;
  let pos = 8 + 16; // moof header + mfhd
  for (const frag of opts.fragments) {
    const tfhd = writeTfhd({ flags: TFHD_DEFAULT_BASE_IS_MOOF, trackId: frag.trackId });
    const tfdt = writeTfdt({ baseMediaDecodeTime: frag.baseMediaDecodeTime });
    const trun = writeTrun({
      dataOffset: 0, // patched below, once the moof size is known
      samples: frag.samples.map((s) => ({
        duration: s.duration,
        size: s.data.length,
        flags: s.keyframe ? SAMPLE_FLAGS_SYNC : SAMPLE_FLAGS_NON_SYNC,
        compositionTimeOffset: s.cts,
      })),
    });
    offsetPositions.push(pos + 8 + tfhd.length + tfdt.length + TRUN_DATA_OFFSET_POS);
    trafPayloadStart.push(payloadSize);
    const traf = box('traf', tfhd, tfdt, trun);
    trafs.push(traf);
    pos += traf.length;
    for (const s of frag.samples) {
      payload.push(s.data);
      payloadSize += s.data.length;
    }
  }
  const moof = box('moof', writeMfhd({ sequenceNumber: opts.sequenceNumber }), ...trafs);
  const large = payloadSize + 8 > 0xffffffff;
  const mdatHeader = large
    ? Buffer.concat([u32(1), Buffer.from('mdat'), u64(payloadSize + 16)])
    : Buffer.concat([u32(payloadSize + 8), Buffer.from('mdat')]);
  offsetPositions.forEach((at, i) => {
    const offset = moof.length + mdatHeader.length + (trafPayloadStart[i] as number);
    if (offset > 0x7fffffff) throw new RangeError(`trun data_offset ${offset} exceeds 32 bits`);
    moof.writeInt32BE(offset, at);
  });
  const head = opts.styp ? [writeStyp(opts.fragments.length), moof, mdatHeader] : [moof, mdatHeader];
  return Buffer.concat([...head, ...payload]);
}
