// The reschedule form: pick a trigger, preview its next fire times, then save. Save stays
// disabled until the exact trigger in the form has been previewed, so nobody saves a schedule
// they have not seen.
import { api } from '../api.js';
import { h, timeEl } from '../dom.js';
import { announce, showError } from '../feedback.js';
import { parseDate, toLocalInputValue } from '../format.js';

const INTERVAL_UNITS = [
  ['seconds', 1_000],
  ['minutes', 60_000],
  ['hours', 3_600_000],
  ['days', 86_400_000],
];
const TIME_ZONES = typeof Intl.supportedValuesOf === 'function' ? Intl.supportedValuesOf('timeZone') : [];
const LOCAL_ZONE = Intl.DateTimeFormat().resolvedOptions().timeZone;

/** `target()` gives the task's `{ id, store }`; `onSaved` runs after a successful save. */
export function rescheduleForm({ target, onSaved }) {
  const field = (id, label, control, hint) =>
    h('div', { class: 'field' }, h('label', { for: id }, label), control, hint ? h('p', { class: 'hint', id: `${id}-hint` }, hint) : null);

  const type = h('select', { id: 'rs-type', name: 'type' }, ['cron', 'interval', 'date'].map((t) => h('option', { value: t }, t)));
  const expression = h('input', { id: 'rs-expression', name: 'expression', placeholder: '0 3 * * *', autocomplete: 'off', spellcheck: 'false', class: 'mono', 'aria-describedby': 'rs-expression-hint' });
  const timezone = h('input', { id: 'rs-timezone', name: 'timezone', list: 'rs-zones', placeholder: LOCAL_ZONE, autocomplete: 'off', 'aria-describedby': 'rs-timezone-hint' });
  const every = h('input', { id: 'rs-every', name: 'every', type: 'number', min: '1', step: 'any', inputmode: 'decimal' });
  const unit = h('select', { id: 'rs-unit', name: 'unit' }, INTERVAL_UNITS.map(([u]) => h('option', { value: u }, u)));
  const runAt = h('input', { id: 'rs-run-at', name: 'runAt', type: 'datetime-local', step: '1', 'aria-describedby': 'rs-run-at-hint' });
  const groups = {
    cron: h(
      'div',
      { class: 'field-row' },
      field('rs-expression', 'Cron expression', expression, 'minute hour day month weekday, or an alias such as @daily'),
      field('rs-timezone', 'Time zone', timezone, 'IANA name; empty for the scheduler’s'),
      h('datalist', { id: 'rs-zones' }, TIME_ZONES.map((z) => h('option', { value: z }))),
    ),
    interval: h('div', { class: 'field-row' }, field('rs-every', 'Every', every), field('rs-unit', 'Unit', unit)),
    date: h('div', { class: 'field-row' }, field('rs-run-at', 'Run at', runAt, `Your local time (${LOCAL_ZONE})`)),
  };
  const preview = h('button', { type: 'button' }, 'Preview');
  const save = h('button', { type: 'submit', class: 'primary', disabled: true }, 'Save');
  const output = h('div', { class: 'preview', 'aria-live': 'polite' });
  const form = h(
    'form',
    { class: 'reschedule' },
    field('rs-type', 'Trigger type', type),
    Object.values(groups),
    h('div', { class: 'actions' }, preview, save),
    output,
  );

  /** The JSON of the trigger last previewed successfully; Save needs the form to still match it. */
  let previewed = null;

  function showGroup() {
    for (const [name, group] of Object.entries(groups)) {
      group.hidden = name !== type.value;
      // Only the visible fields are required, or the browser would block on hidden ones.
      for (const input of group.querySelectorAll('input')) input.required = name === type.value && input !== timezone;
    }
  }

  function trigger() {
    switch (type.value) {
      case 'cron': {
        const spec = { type: 'cron', expression: expression.value.trim() };
        if (timezone.value.trim()) spec.timezone = timezone.value.trim();
        return spec;
      }
      case 'interval':
        return { type: 'interval', [unit.value]: Number(every.value) };
      default:
        // datetime-local is wall time in the browser's zone; the server gets an exact instant.
        return { type: 'date', runAt: new Date(runAt.value).toISOString() };
    }
  }

  function invalidate() {
    if (previewed === null) return;
    previewed = null;
    save.disabled = true;
    output.replaceChildren(h('p', { class: 'muted' }, 'Changed since the preview: preview again to save.'));
  }

  form.addEventListener('input', invalidate);
  form.addEventListener('change', invalidate);
  type.addEventListener('change', showGroup);

  preview.addEventListener('click', async () => {
    if (!form.reportValidity()) return;
    const spec = trigger();
    preview.disabled = true;
    try {
      const { id, store } = target();
      const result = await api.previewReschedule(id, store, spec);
      previewed = JSON.stringify(spec);
      save.disabled = false;
      output.replaceChildren(
        h('p', {}, h('strong', {}, result.description)),
        result.nextFireTimes.length
          ? h('ol', { class: 'fire-times', 'aria-label': 'Next fire times with this trigger' }, result.nextFireTimes.map((t) => h('li', {}, timeEl(t))))
          : h('p', { class: 'muted' }, 'This trigger never fires again.'),
      );
    } catch (error) {
      output.replaceChildren();
      showError(error);
    } finally {
      preview.disabled = false;
    }
  });

  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    const spec = trigger();
    if (previewed !== JSON.stringify(spec)) return;
    save.disabled = true;
    try {
      const { id, store } = target();
      const result = await api.reschedule(id, store, spec);
      previewed = null;
      output.replaceChildren();
      announce(`Rescheduled: ${result.task?.triggerDescription ?? 'saved'}.`);
      onSaved(result);
    } catch (error) {
      save.disabled = false;
      showError(error);
    }
  });

  showGroup();
  return {
    element: form,
    /** Starts the form from the task's current trigger, where it is one the form can express. */
    fill(task) {
      const options = task.triggerOptions ?? {};
      if (task.trigger === 'cron' || task.trigger === 'interval' || task.trigger === 'date') type.value = task.trigger;
      if (task.trigger === 'cron') {
        expression.value = options.expression ?? '';
        timezone.value = options.timezone ?? '';
      } else if (task.trigger === 'interval') {
        const ms = INTERVAL_UNITS.reduce((sum, [u, size]) => sum + (Number(options[u]) || 0) * size, 0)
          + (Number(options.weeks) || 0) * 604_800_000 + (Number(options.milliseconds) || 0);
        // The largest unit that expresses the interval exactly: 90 minutes, not 1.5 hours.
        const [name, size] = [...INTERVAL_UNITS].reverse().find(([, s]) => ms >= s && ms % s === 0) ?? INTERVAL_UNITS[0];
        every.value = ms ? String(ms / size) : '';
        unit.value = name;
      } else if (task.trigger === 'date') {
        const date = parseDate(options.runAt) ?? parseDate(task.nextRunTime);
        runAt.value = date ? toLocalInputValue(date) : '';
      }
      showGroup();
    },
  };
}
