-- One database per service (DESIGN.md section 2); run once by the postgres image on first start.
CREATE DATABASE intake;
CREATE DATABASE plans;
CREATE DATABASE notifications;
