/** The Node flags the README's client configs pass (README "Connect it to your client"; kept in step by a test). */
export const recommendedNodeFlags = ["--max-semi-space-size=1", "--optimize-for-size"]
