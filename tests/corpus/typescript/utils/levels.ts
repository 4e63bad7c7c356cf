export enum Level {
  Bronze = 1,
  Silver,
  Gold = 10,
}

export const enum Flag {
  On = 'on',
}

export namespace Labels {
  export const prefix = 'level';
  export function of(l: Level): string {
    return `${prefix}:${Level[l].toLowerCase()}`;
  }
}

export function describe(l: Level): string {
  return Labels.of(l) + '/' + Flag.On;
}
