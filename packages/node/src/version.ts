/** The dcn version reported by `/status` and `dcn --version`. */
export const VERSION = '0.1.0'
