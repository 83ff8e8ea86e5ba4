// The layer order of src/, enforced: a folder may import its own layer and the layers below it,
// never a layer above, and no module may import itself back through a cycle. Shared by
// eslint.config.mjs and test/lint/layers.test.ts (which proves both rules fire).
import importX, { createNodeResolver } from 'eslint-plugin-import-x';

/** Lowest first. errors.ts sits below everything; tests, benches and the lab are free. */
export const LAYERS = [
  ['wire', 'errors.ts', 'options.ts'],
  ['net'],
  ['util', 'secure', 'punch', 'discovery', 'devices', 'portmap', 'ops', 'streams'],
  ['rendezvous', 'home', 'client', 'relay'],
  ['app'],
  ['sim'],
  ['cli'],
];

/**
 * The one downward exception: net/types.ts holds only the seam's types (SocketAddr, Env), which
 * the wire codec names. It imports nothing, so it cannot carry a dependency upwards.
 */
const SEAM_TYPES = { folder: 'net', except: ['./types.ts'] };

/** No-restricted-paths zones per layer: its folders may not import any folder above it. */
export function layerZones(srcDir = './src') {
  return LAYERS.slice(0, -1).flatMap((layer, i) => {
    const target = layer.map((f) => `${srcDir}/${f}`);
    const message = `layer order (eslint.layers.mjs): ${layer.join('/')} may not import a higher layer`;
    const above = LAYERS.slice(i + 1).flat();
    const zones = [
      {
        target,
        from: above.filter((f) => f !== SEAM_TYPES.folder).map((f) => `${srcDir}/${f}`),
        message,
      },
    ];
    if (above.includes(SEAM_TYPES.folder))
      zones.push({
        target,
        from: `${srcDir}/${SEAM_TYPES.folder}`,
        except: SEAM_TYPES.except,
        message,
      });
    return zones;
  });
}

/** The config block: `files` defaults to src/; the test points it at a temporary tree. */
export function layersConfig({ files = ['src/**/*.ts'], srcDir = './src', basePath } = {}) {
  return {
    files,
    plugins: { 'import-x': importX },
    settings: {
      // Parse .ts dependencies too (import-x skips unknown extensions when walking the graph).
      'import-x/extensions': ['.ts', '.js', '.mjs'],
      'import-x/parsers': { '@typescript-eslint/parser': ['.ts'] },
      // `./x.js` in a .ts file means `./x.ts` (NodeNext).
      'import-x/resolver-next': [
        createNodeResolver({
          extensions: ['.ts', '.js', '.mjs', '.json', '.node'],
          extensionAlias: { '.js': ['.ts', '.js'] },
        }),
      ],
    },
    rules: {
      'import-x/no-cycle': ['error', { ignoreExternal: true }],
      'import-x/no-restricted-paths': [
        'error',
        { zones: layerZones(srcDir), ...(basePath ? { basePath } : {}) },
      ],
    },
  };
}
