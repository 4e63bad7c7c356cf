import { Level, describe } from './utils/levels';

interface GlobalData {
  launched: number;
  level: Level;
}

App<{ globalData: GlobalData }>({
  globalData: { launched: 0, level: Level.Gold } as GlobalData,
  onLaunch(): void {
    this.globalData.launched += 1;
    console.log(describe(this.globalData.level));
  },
});
