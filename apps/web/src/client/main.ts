/** Entry point of the browser bundle: styles, then the application shell. */
import 'uplot/dist/uPlot.min.css';
import './styles.css';
import { App } from './app.js';

const root = document.getElementById('app');
if (root === null) throw new Error('index.html has no element with id "app"');
void new App(root).start();
