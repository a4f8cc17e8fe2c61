/** Hostile-policy fixture: an object that claims to be a policy without definePolicy, and has no hooks. */
export default { kind: 'worldswitch-policy', name: 'fake-kind', arch: 'arm64-nvhe', summary: '' };
