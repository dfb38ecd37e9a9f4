import { describe, expect, it } from 'vitest';
import { ReplayBuffer } from './replay-buffer';

const frame = (first: number, last: number) => ({ first, last, bytes: Buffer.from(`${first}-${last}`) });
const names = (frames: Buffer[]) => frames.map((b) => b.toString());

describe('replay buffer of encoded frames', () => {
  it('keeps at least `capacity` of the newest events and drops whole older frames', () => {
    const buffer = new ReplayBuffer(10);
    for (let i = 0; i < 10; i++) buffer.push(frame(i * 4 + 1, i * 4 + 4)); // seq 1..40, frames of 4
    // 10 events need the 3 newest frames (29..40): 12 events, and dropping one more would leave 8.
    expect(buffer.since(30, 40)).toEqual({ frames: [Buffer.from('29-32'), Buffer.from('33-36'), Buffer.from('37-40')], events: 10, lost: false });
    expect(names(buffer.since(28, 40).frames)).toEqual(['29-32', '33-36', '37-40']);
    expect(buffer.since(28, 40).lost).toBe(false);
    // Seq 28 went with its frame: a client whose last was 27 lost one.
    expect(buffer.since(27, 40)).toMatchObject({ events: 12, lost: true });
  });

  it('a client that saw everything gets nothing; one in the middle of a frame gets that frame', () => {
    const buffer = new ReplayBuffer(100);
    buffer.push(frame(1, 5));
    buffer.push(frame(6, 9));
    expect(buffer.since(9, 9)).toEqual({ frames: [], events: 0, lost: false });
    expect(buffer.since(7, 9)).toEqual({ frames: [Buffer.from('6-9')], events: 2, lost: false });
    expect(buffer.since(0, 9)).toEqual({ frames: [Buffer.from('1-5'), Buffer.from('6-9')], events: 9, lost: false });
  });

  it('stays bounded over many frames', () => {
    const buffer = new ReplayBuffer(1000);
    for (let i = 0; i < 10_000; i++) buffer.push(frame(i * 10 + 1, i * 10 + 10));
    const all = buffer.since(0, 100_000);
    expect(all.lost).toBe(true);
    expect(all.events).toBe(1000);
    expect(names(all.frames)[0]).toBe('99001-99010');
  });
});
