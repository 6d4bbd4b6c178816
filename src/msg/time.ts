import { type Header, type Time } from './generated/interfaces';

/** builtin_interfaces/Time ↔ seconds and nanoseconds (bigint keeps full precision for ordering). */
export function timeToNanos(t: Time): bigint {
  return BigInt(t.sec) * 1_000_000_000n + BigInt(t.nanosec);
}

export function nanosToTime(ns: bigint): Time {
  const sec = ns / 1_000_000_000n;
  let nanosec = ns % 1_000_000_000n;
  let s = sec;
  if (nanosec < 0n) {
    nanosec += 1_000_000_000n;
    s -= 1n;
  }
  return { sec: Number(s), nanosec: Number(nanosec) };
}

export function timeToSeconds(t: Time): number {
  return t.sec + t.nanosec * 1e-9;
}

export function secondsToTime(seconds: number): Time {
  const sec = Math.floor(seconds);
  let nanosec = Math.round((seconds - sec) * 1e9);
  if (nanosec >= 1_000_000_000) return { sec: sec + 1, nanosec: nanosec - 1_000_000_000 };
  if (nanosec < 0) nanosec = 0;
  return { sec, nanosec };
}

export function compareTime(a: Time, b: Time): number {
  return a.sec !== b.sec ? a.sec - b.sec : a.nanosec - b.nanosec;
}

export function makeHeader(frameId: string, stamp: Time = { sec: 0, nanosec: 0 }): Header {
  return { stamp: { ...stamp }, frame_id: frameId };
}
