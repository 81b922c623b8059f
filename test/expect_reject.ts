import { expect } from 'chai';

/** Awaits `p` and checks that it rejected with an Error whose message matches `re`. */
export async function expectReject(p: Promise<unknown>, re: RegExp): Promise<void> {
  let err: Error | undefined;
  try {
    await p;
  } catch (e) {
    err = e as Error;
  }
  expect(err).to.be.instanceOf(Error);
  expect(err!.message).to.match(re);
}
