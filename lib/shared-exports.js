"use strict";
// What both entry points (budgetkernel and budgetkernel/wasm) export beyond
// their engine-bound classes: the same modules, so the same objects (the 17
// verdicts, the error classes) whichever entry a caller uses.
Object.defineProperty(exports, "__esModule", { value: true });
exports.ReleasedError = exports.ChargeError = exports.CapacityError = exports.BuilderError = exports.BudgetExhaustedError = exports.BudgetError = exports.isExhausted = exports.isContinuing = exports.worst = exports.MAX_DIMS = exports.DIMS = void 0;
var dims_1 = require("./dims");
Object.defineProperty(exports, "DIMS", { enumerable: true, get: function () { return dims_1.DIMS; } });
Object.defineProperty(exports, "MAX_DIMS", { enumerable: true, get: function () { return dims_1.MAX_DIMS; } });
var verdicts_1 = require("./verdicts");
Object.defineProperty(exports, "worst", { enumerable: true, get: function () { return verdicts_1.worst; } });
Object.defineProperty(exports, "isContinuing", { enumerable: true, get: function () { return verdicts_1.isContinuing; } });
Object.defineProperty(exports, "isExhausted", { enumerable: true, get: function () { return verdicts_1.isExhausted; } });
var errors_1 = require("./errors");
Object.defineProperty(exports, "BudgetError", { enumerable: true, get: function () { return errors_1.BudgetError; } });
Object.defineProperty(exports, "BudgetExhaustedError", { enumerable: true, get: function () { return errors_1.BudgetExhaustedError; } });
Object.defineProperty(exports, "BuilderError", { enumerable: true, get: function () { return errors_1.BuilderError; } });
Object.defineProperty(exports, "CapacityError", { enumerable: true, get: function () { return errors_1.CapacityError; } });
Object.defineProperty(exports, "ChargeError", { enumerable: true, get: function () { return errors_1.ChargeError; } });
Object.defineProperty(exports, "ReleasedError", { enumerable: true, get: function () { return errors_1.ReleasedError; } });
