// An ES module Nest application on the BUILT package (dist), in plain JavaScript.
import 'reflect-metadata';
import { Injectable, Inject, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { Scheduler } from '@horae/core';
import { HoraeModule, Scheduled, InjectScheduler } from '@horae/nestjs';
import { ScheduleModule, Cron, SchedulerRegistry, CronExpression } from '@horae/nestjs/schedule';
import consumer from './consumer.cjs';

consumer.runConsumer({ Injectable, Inject, Module, NestFactory, Scheduler, HoraeModule, Scheduled, InjectScheduler, ScheduleModule, Cron, SchedulerRegistry, CronExpression }, 'esm');
