// Node-only entry (`@cf/data/node`): file-system loaders and downloads.
export {};
