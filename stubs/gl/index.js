'use strict';
// headless-gl is replaced by this placeholder at install time (see package.json "overrides").
// gpu.js calls it when probing the headlessgl mode; throwing makes that mode "unavailable".
module.exports = function createContext() {
  throw new Error('headless-gl is not installed (placeholder package); run `npm i gl@8` to enable the headlessgl backend');
};
