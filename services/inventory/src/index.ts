// The inventory service's public surface, for tools outside it (bench/, drills).
export { createInventoryService, type InventoryService } from './service';
export { loadInventoryConfig, type InventoryServiceConfig } from './config';
export { LabStrategies, strategies, type LabOutcome, type Strategy } from './lab/strategies';
export { StockStore, type ScriptResult } from './stock/stock-store';
export { stockKeys, labKeys, type SkuKeys } from './stock/keys';
export { reconcileStock, type ReconcileReport, type SkuDrift } from './stock/reconcile';
export { SKU_PATTERN } from './stock/validation';
export type { CounterExtension, CounterRouteDeps, Sale } from './extension';
