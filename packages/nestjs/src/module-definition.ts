import { ConfigurableModuleBuilder } from '@nestjs/common';
import type { HoraeModuleOptions } from './options.js';
import { HORAE_MODULE_OPTIONS } from './tokens.js';

export const { ConfigurableModuleClass, OPTIONS_TYPE, ASYNC_OPTIONS_TYPE } = new ConfigurableModuleBuilder<HoraeModuleOptions>({
  moduleName: 'Horae',
  optionsInjectionToken: HORAE_MODULE_OPTIONS,
})
  .setClassMethodName('forRoot')
  .setFactoryMethodName('createHoraeOptions')
  // One scheduler per application, reachable from every module: global unless told otherwise.
  .setExtras({ isGlobal: true }, (definition, extras) => ({ ...definition, global: extras.isGlobal }))
  .build();
