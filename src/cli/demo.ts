/** The key a local `tickwire serve` with no key configured accepts (loopback hosts only), and `tickwire tail`'s default. */
export const DEMO_API_KEY = "tickwire-demo-key";
