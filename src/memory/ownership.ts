// Which buffers belong to a TickwireMemory, so a flyweight view made over
// `mem.buffer` (which knows only the buffer) can ask whether a region it is about
// to write is one its caller owns. Kept apart from shared-memory.ts so that the
// record views need not import the memory and its loader.

/** What a view needs of a memory: the ownership test. */
export interface RegionOwner {
  owns(offset: number, bytes: number): boolean;
}

const owners = new WeakMap<ArrayBufferLike, RegionOwner>();

/** Records that `buffer` is a tickwire memory's, whose regions `owner` vouches for. */
export function registerOwnership(buffer: ArrayBufferLike, owner: RegionOwner): void {
  owners.set(buffer, owner);
}

/** The owner of `buffer` if it is a tickwire memory's, else undefined (a plain buffer is wholly its holder's). */
export function ownerOf(buffer: ArrayBufferLike): RegionOwner | undefined {
  return owners.get(buffer);
}
