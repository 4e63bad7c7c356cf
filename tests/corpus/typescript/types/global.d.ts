// Types only: never packed, never run.
declare interface IAppOption {
  globalData: { launched: number };
}
this is not even valid JavaScript, which is fine: a .d.ts is never packed
