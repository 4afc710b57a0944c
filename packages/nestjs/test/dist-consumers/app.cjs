// A CommonJS Nest application on the BUILT package (dist), in plain JavaScript: decorators are
// applied by hand, as TypeScript's CommonJS output does, with no design:paramtypes metadata.
require('reflect-metadata');
const { Injectable, Inject, Module } = require('@nestjs/common');
const { NestFactory } = require('@nestjs/core');
const { Scheduler } = require('@horae/core');
const { HoraeModule, Scheduled, InjectScheduler } = require('@horae/nestjs');
const { ScheduleModule, Cron, SchedulerRegistry, CronExpression } = require('@horae/nestjs/schedule');
const { runConsumer } = require('./consumer.cjs');

runConsumer({ Injectable, Inject, Module, NestFactory, Scheduler, HoraeModule, Scheduled, InjectScheduler, ScheduleModule, Cron, SchedulerRegistry, CronExpression }, 'cjs');
