// The inventory service's stock primitives, for tools outside it (bench/, drills). Deliberately
// light: importing it does not load Express, Prisma or the write-behind queue. The service itself
// is `createInventoryService` in ./service.
export { LabStrategies, strategies, type LabOutcome, type Strategy } from './lab/strategies';
export { StockStore, type ScriptResult } from './stock/stock-store';
export { stockKeys, labKeys, type SkuKeys } from './stock/keys';
export { SKU_PATTERN } from './stock/validation';
export type { InventoryService } from './service';
export type { CounterExtension, CounterRouteDeps, Sale } from './extension';
