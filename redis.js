"use strict";
/**
 * `budgetkernel/redis`: budgets shared by processes and machines, kept in
 * Redis with the in-process kernel's exact semantics.
 *
 * The store reuses the package's own modules (dimension names, amount
 * validation, the 17 shared verdict objects, the error classes, and the
 * kernel's builder to validate declarations), so a verdict from Redis is
 * `===` to the same verdict from a `Budget`. It has no dependency of its own:
 * pass your ioredis or node-redis client.
 *
 * @packageDocumentation
 */
Object.defineProperty(exports, "__esModule", { value: true });
exports.ChargeError = exports.CapacityError = exports.BuilderError = exports.BudgetExhaustedError = exports.BudgetError = exports.isExhausted = exports.isContinuing = exports.worst = exports.DIMS = exports.StoreError = exports.LeasedBudget = exports.MAX_ENTRIES = exports.RedisBudgets = void 0;
var store_1 = require("./lib/redis/store");
Object.defineProperty(exports, "RedisBudgets", { enumerable: true, get: function () { return store_1.RedisBudgets; } });
Object.defineProperty(exports, "MAX_ENTRIES", { enumerable: true, get: function () { return store_1.MAX_ENTRIES; } });
var lease_1 = require("./lib/redis/lease");
Object.defineProperty(exports, "LeasedBudget", { enumerable: true, get: function () { return lease_1.LeasedBudget; } });
var errors_1 = require("./lib/errors");
Object.defineProperty(exports, "StoreError", { enumerable: true, get: function () { return errors_1.StoreError; } });
var dims_1 = require("./lib/dims");
Object.defineProperty(exports, "DIMS", { enumerable: true, get: function () { return dims_1.DIMS; } });
var verdicts_1 = require("./lib/verdicts");
Object.defineProperty(exports, "worst", { enumerable: true, get: function () { return verdicts_1.worst; } });
Object.defineProperty(exports, "isContinuing", { enumerable: true, get: function () { return verdicts_1.isContinuing; } });
Object.defineProperty(exports, "isExhausted", { enumerable: true, get: function () { return verdicts_1.isExhausted; } });
var errors_2 = require("./lib/errors");
Object.defineProperty(exports, "BudgetError", { enumerable: true, get: function () { return errors_2.BudgetError; } });
Object.defineProperty(exports, "BudgetExhaustedError", { enumerable: true, get: function () { return errors_2.BudgetExhaustedError; } });
Object.defineProperty(exports, "BuilderError", { enumerable: true, get: function () { return errors_2.BuilderError; } });
Object.defineProperty(exports, "CapacityError", { enumerable: true, get: function () { return errors_2.CapacityError; } });
Object.defineProperty(exports, "ChargeError", { enumerable: true, get: function () { return errors_2.ChargeError; } });
