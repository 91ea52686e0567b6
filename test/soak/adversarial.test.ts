// The adversarial suite at full length: 80 update and 20 restore kill points (100 in all),
// 100 kill-then-entry-point trials (every CLI command and the headless host), the many-tiny-files
// bomb, the rest of the corpus, and 1000 runs of settings patches. UPKEEP_CRASH_SEED replays a run.
process.env.UPKEEP_SOAK = '1';
await import('../adversarial/crashes.test');
await import('../adversarial/archives.test');
await import('../adversarial/settings-patches.test');
await import('../adversarial/recovery-entry-points.test');
export {};
