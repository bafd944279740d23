/**
 * Stands in for `@modelcontextprotocol/server/_shims` in the bundle (scripts/build.ts). The SDK's Node shim exists
 * to name Ajv as the default JSON Schema validator; the server passes its own validator (Adapter.ts), so the bundle
 * takes the SDK's light one here and never loads Ajv. A change to the SDK's shim exports fails the build.
 */

export { default as process } from "node:process"
export { CfWorkerJsonSchemaValidator as DefaultJsonSchemaValidator } from "@modelcontextprotocol/server/validators/cf-worker"
