/**
 * The prover as one self-contained ES module for the challenge container: the compiled core.js
 * and prover.js inlined, their `node:` imports merged. Built from the very code the verifier
 * uses, so the two cannot drift; a line it cannot inline (a default or namespace import, an
 * `export { … }`) stops it with the line, rather than producing a script that fails in a container.
 */
import { readFileSync } from 'node:fs'

const MODULES = ['./core.js', './prover.js']

let script: string | undefined

export function capacityProverScript (): string {
  script ??= inline()
  return script
}

function inline (): string {
  const imports = new Map<string, Set<string>>()
  const bodies: string[] = []
  for (const name of MODULES) {
    const lines: string[] = []
    for (const line of readFileSync(new URL(name, import.meta.url), 'utf8').split('\n')) {
      if (line.startsWith('//# sourceMappingURL=')) continue
      const builtin = /^import \{([^}]*)\} from '(node:[^']+)';$/.exec(line)
      if (builtin !== null) {
        const names = imports.get(builtin[2]) ?? new Set()
        for (const n of builtin[1].split(',')) if (n.trim() !== '') names.add(n.trim())
        imports.set(builtin[2], names)
        continue
      }
      if (/^import \{[^}]*\} from '\.\/[^']+\.js';$/.test(line)) continue
      const exported = /^export ((async )?function|const|let|class) /.exec(line)
      if (exported !== null) {
        lines.push(line.slice('export '.length))
        continue
      }
      if (/^(import|export)\b/.test(line)) throw new Error(`cannot inline ${name} into the prover script: unsupported line "${line}"`)
      lines.push(line)
    }
    bodies.push(`// ---- ${name.slice(2)}\n${lines.join('\n')}`)
  }
  const head = [...imports].map(([from, names]) => `import { ${[...names].join(', ')} } from '${from}';`)
  return `// dcn capacity prover (generated from @dcn/protocol challenge/core.js and prover.js)\n${head.join('\n')}\n${bodies.join('\n')}\n`
}
