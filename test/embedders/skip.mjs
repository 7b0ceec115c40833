// Loud skips: a test that cannot run here is skipped with a warning, except under VGENT_NO_SKIP=1
// (CI), where whatever is missing must fail the run instead.
export const noSkip = process.env.VGENT_NO_SKIP === '1'

/** Registers `title` as a failing test under VGENT_NO_SKIP, else as a skipped one with a warning. */
export function unavailable(test, title, reason) {
  if (noSkip) {
    test(title, (t) => t.fail(`${reason} (VGENT_NO_SKIP=1: this must run here)`))
  } else {
    console.warn(`SKIPPED ${title}: ${reason}`)
    test.skip(title, () => {})
  }
}
